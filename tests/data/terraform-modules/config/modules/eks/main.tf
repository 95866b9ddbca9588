variable "cluster_name" { default = "" }
variable "subnet_ids" { default = [] }
variable "control_plane_subnet_ids" { default = [] }
variable "cluster_addons" { default = {} }
variable "eks_managed_node_groups" { default = {} }
variable "self_managed_node_groups" { default = {} }
variable "eks_managed_node_group_defaults" { default = {} }
variable "self_managed_node_group_defaults" { default = {} }
locals { create = true }
resource "aws_eks_cluster" "this" {
  count    = local.create ? 1 : 0
  name     = var.cluster_name
  role_arn = "arn:aws:iam::123456789012:role/cluster"
  vpc_config {
    subnet_ids = coalescelist(var.control_plane_subnet_ids, var.subnet_ids)
  }
  kubernetes_network_config { ip_family = "ipv4" }
}
# stands for terraform-aws-eks's time_sleep (hashicorp/time is not installable offline); here the node
# groups' cluster_name waits on the before_compute add-ons
resource "terraform_data" "this" {
  count      = 1
  triggers_replace = { cluster_name = aws_eks_cluster.this[0].name }
  depends_on = [aws_eks_addon.before_compute]
}
resource "aws_eks_addon" "before_compute" {
  for_each = { for k, v in var.cluster_addons : k => v if try(v.before_compute, false) }
  cluster_name         = aws_eks_cluster.this[0].name
  addon_name           = try(each.value.name, each.key)
  configuration_values = try(each.value.configuration_values, null)
}
module "eks_managed_node_group" {
  source   = "./modules/eks-managed-node-group"
  for_each = { for k, v in var.eks_managed_node_groups : k => v if local.create }
  cluster_name   = terraform_data.this[0].triggers_replace["cluster_name"]
  name           = try(each.value.name, each.key)
  subnet_ids     = try(each.value.subnet_ids, var.eks_managed_node_group_defaults.subnet_ids, var.subnet_ids)
  min_size       = try(each.value.min_size, var.eks_managed_node_group_defaults.min_size, 1)
  max_size       = try(each.value.max_size, var.eks_managed_node_group_defaults.max_size, 3)
  desired_size   = try(each.value.desired_size, var.eks_managed_node_group_defaults.desired_size, 1)
  ami_type       = try(each.value.ami_type, var.eks_managed_node_group_defaults.ami_type, null)
  instance_types = try(each.value.instance_types, var.eks_managed_node_group_defaults.instance_types, null)
}
module "self_managed_node_group" {
  source   = "./modules/self-managed-node-group"
  for_each = { for k, v in var.self_managed_node_groups : k => v if local.create }
  cluster_name  = terraform_data.this[0].triggers_replace["cluster_name"]
  name          = try(each.value.name, each.key)
  subnet_ids    = try(each.value.subnet_ids, var.self_managed_node_group_defaults.subnet_ids, var.subnet_ids)
  min_size      = try(each.value.min_size, 0)
  max_size      = try(each.value.max_size, 3)
  desired_size  = try(each.value.desired_size, 1)
  instance_type = try(each.value.instance_type, "m6i.large")
  ami_id        = try(each.value.ami_id, "")
}
output "cluster_name" { value = aws_eks_cluster.this[0].name }
