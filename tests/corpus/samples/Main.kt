package demo

// A Kotlin data class and an object.
data class User(val id: Int, val name: String) {
    fun display(): String = "$id:$name"
}

object Registry {
    private val users = mutableListOf<User>()

    fun add(user: User) {
        users.add(user)
    }
}

fun main() {
    Registry.add(User(1, "a"))
}

interface Repo {
    fun all(): List<User>
}
