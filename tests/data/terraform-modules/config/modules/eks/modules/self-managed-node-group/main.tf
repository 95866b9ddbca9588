variable "create" { default = true }
variable "cluster_name" { default = "" }
variable "name" { default = "" }
variable "subnet_ids" { default = null }
variable "instance_type" { default = "" }
variable "ami_id" { default = "" }
variable "min_size" { default = 0 }
variable "max_size" { default = 3 }
variable "desired_size" { default = 1 }
variable "create_launch_template" { default = true }
variable "launch_template_id" { default = null }
variable "launch_template_version" { default = null }
variable "use_mixed_instances_policy" { default = false }
locals {
  user_data = base64encode(<<-EOT
  #!/bin/bash
  set -e
  /etc/eks/bootstrap.sh ${var.cluster_name}
  EOT
  )
}
resource "aws_launch_template" "this" {
  count         = var.create && var.create_launch_template ? 1 : 0
  image_id      = var.ami_id
  instance_type = var.instance_type
  name_prefix   = "${var.name}-"
  user_data     = local.user_data
  update_default_version = true
}
locals {
  launch_template_id      = var.create && var.create_launch_template ? aws_launch_template.this[0].id : var.launch_template_id
  launch_template_version = var.create && var.launch_template_version == null ? aws_launch_template.this[0].latest_version : var.launch_template_version
}
resource "aws_autoscaling_group" "this" {
  count               = var.create ? 1 : 0
  name_prefix         = "${var.name}-"
  min_size            = var.min_size
  max_size            = var.max_size
  desired_capacity    = var.desired_size
  vpc_zone_identifier = var.subnet_ids
  dynamic "launch_template" {
    for_each = var.use_mixed_instances_policy ? [] : [1]
    content {
      id      = local.launch_template_id
      version = local.launch_template_version
    }
  }
  tag {
    key                 = "kubernetes.io/cluster/${var.cluster_name}"
    value               = "owned"
    propagate_at_launch = true
  }
}
