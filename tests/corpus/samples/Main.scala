package demo

// A Scala sample.
trait Animal {
  def sound: String
}

case class Dog(name: String) extends Animal {
  def sound: String = "woof"
}

object Main {
  def greet(name: String): String = s"hello $name"

  def main(args: Array[String]): Unit = {
    println(greet(Dog("rex").name))
  }
}

class Counter {
  private var n = 0
  def inc(): Int = { n += 1; n }
}
