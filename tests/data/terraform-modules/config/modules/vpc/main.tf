variable "cidr" { default = "10.0.0.0/16" }
variable "azs" { default = [] }
variable "private_subnets" { default = [] }
variable "public_subnets" { default = [] }
locals {
  len_private_subnets = length(var.private_subnets)
  len_public_subnets  = length(var.public_subnets)
  vpc_id              = aws_vpc.this[0].id
}
resource "aws_vpc" "this" {
  count      = 1
  cidr_block = var.cidr
}
resource "aws_subnet" "private" {
  count             = local.len_private_subnets
  vpc_id            = local.vpc_id
  cidr_block        = element(concat(var.private_subnets, [""]), count.index)
  availability_zone = length(regexall("^[a-z]{2}-", element(var.azs, count.index))) > 0 ? element(var.azs, count.index) : null
  tags = { "kubernetes.io/role/internal-elb" = "1" }
}
resource "aws_subnet" "public" {
  count                   = local.len_public_subnets
  vpc_id                  = local.vpc_id
  cidr_block              = element(concat(var.public_subnets, [""]), count.index)
  availability_zone       = length(regexall("^[a-z]{2}-", element(var.azs, count.index))) > 0 ? element(var.azs, count.index) : null
  map_public_ip_on_launch = true
  tags = { "kubernetes.io/role/elb" = "1" }
}
output "vpc_id" { value = try(aws_vpc.this[0].id, null) }
output "private_subnets" { value = aws_subnet.private[*].id }
output "public_subnets" { value = aws_subnet.public[*].id }
