#include <stdio.h>

/* A pair of ints. */
struct pair {
    int a;
    int b;
};

static int add(int a, int b) {
    return a + b;
}

int *find(int *items, int n, int value) {
    for (int i = 0; i < n; i++) {
        if (items[i] == value) return &items[i];
    }
    return NULL;
}

int main(void) {
    printf("%d\n", add(1, 2));
    return 0;
}
