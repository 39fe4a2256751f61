// A small JavaScript module.
import { readFile } from "fs";

/** Greeter says hello. */
class Greeter {
  constructor(name) {
    this.name = name;
  }

  greet() {
    return `hello ${this.name}`;
  }
}

function add(a, b) {
  return a + b;
}

const square = (x) => x * x;

export function* counter() {
  let i = 0;
  while (true) yield i++;
}
