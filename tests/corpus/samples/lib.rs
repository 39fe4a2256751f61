//! A small Rust library.
use std::fmt;

/// A stack of integers.
pub struct Stack {
    items: Vec<i32>,
}

impl Stack {
    pub fn new() -> Self {
        Stack { items: Vec::new() }
    }

    pub fn push(&mut self, v: i32) {
        self.items.push(v);
    }
}

impl fmt::Display for Stack {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:?}", self.items)
    }
}

pub trait Shape {
    fn area(&self) -> f64;
}

enum Op { Add, Sub }

mod tests {
    fn helper() {}
}

pub fn free_function() -> i32 {
    42
}
