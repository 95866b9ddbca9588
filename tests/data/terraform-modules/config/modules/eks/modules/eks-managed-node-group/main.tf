variable "create" { default = true }
variable "cluster_name" { default = null }
variable "name" { default = "" }
variable "subnet_ids" { default = null }
variable "instance_types" { default = null }
variable "ami_type" { default = null }
variable "ami_id" { default = "" }
variable "min_size" { default = 1 }
variable "max_size" { default = 3 }
variable "desired_size" { default = 1 }
variable "create_launch_template" { default = true }
variable "use_custom_launch_template" { default = true }
variable "launch_template_id" { default = "" }
variable "launch_template_version" { default = null }
variable "launch_template_name" { default = null }
variable "capacity_type" { default = "CAPACITY_BLOCK_NO" }
locals {
  launch_template_name = coalesce(var.launch_template_name, "${var.name}-eks-node-group")
}
resource "aws_launch_template" "this" {
  count         = var.create && var.create_launch_template && var.use_custom_launch_template ? 1 : 0
  image_id      = var.ami_id
  instance_type = var.capacity_type == "CAPACITY_BLOCK" ? element(var.instance_types, 0) : null
  name_prefix   = "${local.launch_template_name}-"
  update_default_version = true
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}
locals {
  launch_template_id      = var.create && var.create_launch_template ? try(aws_launch_template.this[0].id, null) : var.launch_template_id
  launch_template_version = coalesce(var.launch_template_version, try(aws_launch_template.this[0].default_version, "$Default"))
}
resource "aws_eks_node_group" "this" {
  count           = var.create ? 1 : 0
  cluster_name    = var.cluster_name
  node_group_name_prefix = "${var.name}-"
  node_role_arn   = "arn:aws:iam::123456789012:role/node"
  subnet_ids      = var.subnet_ids
  scaling_config {
    min_size     = var.min_size
    max_size     = var.max_size
    desired_size = var.desired_size
  }
  ami_type       = var.ami_type
  instance_types = var.capacity_type == "CAPACITY_BLOCK" ? null : var.instance_types
  dynamic "launch_template" {
    for_each = var.use_custom_launch_template ? [1] : []
    content {
      id      = local.launch_template_id
      version = local.launch_template_version
    }
  }
  update_config {
    max_unavailable_percentage = 33
  }
}
