"""Definitions in Terraform and SQL: blocks by their address, created objects by their name."""

from __future__ import annotations

from rlm_mcp.corpus.partition import partition

TERRAFORM = b"""resource "aws_instance" "web" {
  ami = "ami-123"
  ingress {
    from_port = 22
  }
}

variable "region" {
  default = "eu-west-1"
}

module "vpc" {
  source = "./vpc"
}
"""

SCHEMA = b"""CREATE TABLE public.users (id int, name text);
CREATE VIEW active_users AS SELECT * FROM public.users;
CREATE FUNCTION user_count() RETURNS int AS $$ SELECT count(*) FROM public.users $$ LANGUAGE sql;
CREATE INDEX users_name ON public.users (name);
"""


def test_terraform_blocks_are_symbols_named_by_their_address() -> None:
    """A resource is `type.name`, other blocks `kind.name`; nested blocks (ingress) are settings, not symbols."""
    symbols = [(name, kind, line) for name, kind, line, *_ in partition("main.tf", TERRAFORM, 1500).symbols]
    assert symbols == [("aws_instance.web", "class", 1), ("variable.region", "class", 8), ("module.vpc", "class", 12)]


def test_sql_tables_views_and_functions_are_symbols() -> None:
    """CREATE TABLE/VIEW are type-like, CREATE FUNCTION a function, each named as created (schema kept)."""
    symbols = [(name, kind) for name, kind, *_ in partition("schema.sql", SCHEMA, 1500).symbols]
    assert symbols == [("public.users", "class"), ("active_users", "class"), ("user_count", "function")]
