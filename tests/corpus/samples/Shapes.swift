import Foundation

// Shapes in Swift.
protocol Shape {
    func area() -> Double
}

struct Circle: Shape {
    let radius: Double

    func area() -> Double {
        return Double.pi * radius * radius
    }
}

class Canvas {
    var shapes: [Shape] = []

    init() {}

    func add(_ shape: Shape) {
        shapes.append(shape)
    }
}

func total(_ shapes: [Shape]) -> Double {
    shapes.reduce(0) { $0 + $1.area() }
}
