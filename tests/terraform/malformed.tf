# A fixture for sim import's HCL reader: a syntax error on line 7 (an attribute with two equals
# signs). Reading it must fail with exit status 2, naming this file and line 7.

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Name = = "main"
  }
}
