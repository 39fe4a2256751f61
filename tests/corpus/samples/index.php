<?php
// A small PHP file.
namespace App;

interface Greets
{
    public function greet(): string;
}

class Greeter implements Greets
{
    public function __construct(private string $name) {}

    public function greet(): string
    {
        return "Hello " . $this->name;
    }
}

function make_greeter(string $name): Greeter
{
    return new Greeter($name);
}

trait Loud
{
    public function shout(): string { return "HEY"; }
}
