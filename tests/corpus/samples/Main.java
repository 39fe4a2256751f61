package demo;

import java.util.List;

/** Entry point. */
public class Main {
    private final List<String> names;

    public Main(List<String> names) {
        this.names = names;
    }

    public int count() {
        return names.size();
    }

    interface Visitor {
        void visit(String name);
    }

    public static void main(String[] args) {
        System.out.println(new Main(List.of("a")).count());
    }
}
