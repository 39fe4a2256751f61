# Sample infrastructure.
variable "region" {
  type    = string
  default = "eu-west-1"
}

resource "aws_s3_bucket" "logs" {
  bucket = "sample-logs"
  tags = {
    team = "platform"
  }
}

module "network" {
  source = "./network"
}
