"""A self-hosted model on Azure: vLLM's OpenAI-compatible server on a scale set bound to the stack's capacity
reservation. No managed Azure serving service binds to a reservation, so the scale set is the consumer.

One component: a user-assigned identity; an in-region storage account (ZRS, keyless, no public network access,
private endpoint) holding the weights, which the identity may read; an in-region Premium registry (private endpoint,
no admin user, no anonymous pull) holding the mirrored image, which the identity may pull; an internal Standard load
balancer with a static private frontend in the workloads subnet and an HTTP health probe on vLLM's /health; and a
Uniform scale set of exactly `replicas` VMs in the reservation's zone, joined to the capacity reservation group
(`virtualMachineProfile.capacityReservation.capacityReservationGroup.id`, `singlePlacementGroup: false`, no proximity
placement group: Microsoft's "Associate a virtual machine scale set with uniform orchestration to a capacity
reservation group", read 2026-12-03), with no public IP anywhere. The Azure Monitor agent and a data collection rule
send the server's syslog output (docker's syslog driver, facility local0) to the stack's Log Analytics workspace.

Login: password authentication is off and the only SSH key is a public key nobody holds a private key for (a point of
Ed25519 derived from a hash; finding its private key is the discrete-logarithm problem), because Azure requires one
of the two; operators reach a VM through Run Command with their Entra role, never over SSH.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field

from crosscloud.components.azure.interfaces import private_endpoint, role_assignments, subscription_id
from crosscloud.components.azure.storage import keyless_storage_account
from crosscloud.components.serving_host import azure_host, cloud_init
from crosscloud.components.standard import PrivateEndpoint, RoleAssignment, StatefulArgs, StrInput
from crosscloud.declaration.selfhosted import SelfHostedRoute

LISTENER_PORT = 80
WEIGHTS_CONTAINER = "weights"
REGISTRY_SKU = "Premium"  # private endpoints need Premium
ADMIN_USER = "crosscloud"
MONITOR_AGENT = ("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent", "1.0")
SYSLOG_FACILITY = "local0"

# Ed25519 (RFC 8032): p = 2^255 - 19, d = -121665/121666.
_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P


def _on_curve(y: int) -> bool:
    """Whether some x makes (x, y) a point of Ed25519: x^2 = (y^2 - 1) / (d y^2 + 1) must be a square mod p."""
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    return x2 == 0 or pow(x2, (_P - 1) // 2, _P) == 1


def unheld_ssh_key(label: str) -> str:
    """An `ssh-ed25519` public key derived from `label` by hashing until the value is a curve point: valid for Azure,
    usable by nobody (no private key was ever generated)."""
    counter = 0
    while True:
        digest = hashlib.sha512(f"crosscloud unheld key/{label}/{counter}".encode()).digest()
        y = int.from_bytes(digest[:32], "little") & ((1 << 255) - 1)
        if y < _P and _on_curve(y):
            break
        counter += 1
    key = y.to_bytes(32, "little")
    blob = b"".join(len(part).to_bytes(4, "big") + part for part in (b"ssh-ed25519", key))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} crosscloud-no-private-key"


def frontend_address(subnet_prefix: str, index: int) -> str:
    """A static private IP for endpoint number `index`, from the top of the workloads subnet (Azure keeps its first
    four and its last address), so the base URL is known before anything exists."""
    hosts = list(ipaddress.IPv4Network(subnet_prefix).hosts())
    return str(hosts[-2 - index])


class AzureServingArgs(StatefulArgs):
    location: str
    resource_group_name: StrInput
    route: SelfHostedRoute
    workloads_subnet_id: StrInput
    frontend_ip: str
    capacity_reservation_group_id: StrInput
    storage_account_name: str = Field(pattern=r"^[a-z0-9]{3,24}$")
    registry_name: str = Field(pattern=r"^[A-Za-z0-9]{5,50}$")
    # Private endpoints of the weights store (blob) and the registry; their DNS zone groups where zones are given.
    storage_endpoint: PrivateEndpoint
    registry_endpoint: PrivateEndpoint
    workspace_id: StrInput  # Log Analytics workspace the data collection rule sends to
    image_repository: str  # the mirrored image's repository in the registry (vllm/vllm-openai)
    image_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    host_image: tuple[str, str, str, str]  # publisher, offer, sku, version
    port: int = 8000
    health_path: str = "/health"
    os_disk_gb: int = Field(default=256, ge=64, le=4095)  # holds the weights and the image


class AzureServing(pulumi.ComponentResource):
    """Identity, weights store, registry, internal load balancer and the reservation-bound scale set."""

    base_url: str
    storage_account_id: pulumi.Output[str]
    registry_login_server: str
    weights_url: str  # https://<account>.blob.core.windows.net/<container>
    image_repository: str  # the mirrored image's repository in the registry
    scale_set_id: pulumi.Output[str]
    custom_data: str  # the cloud-init document (plain text)

    def __init__(self, name: str, args: AzureServingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:Serving", name, None, opts)
        route, rg = args.route, args.resource_group_name
        tags = {**args.tags, "crosscloud-model": route.model, "crosscloud-gpu": route.pool}
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)

        identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=f"id-{route.endpoint}-serving",
            resource_group_name=rg,
            location=args.location,
            tags=tags,
            opts=child,
        )
        storage = keyless_storage_account(
            f"{name}-weights",
            account_name=args.storage_account_name,
            resource_group_name=rg,
            location=args.location,
            public=False,
            bypass="None",  # nothing but the fleet, through its private endpoint
            tags=tags,
            opts=stateful,
        )
        container = azure_native.storage.BlobContainer(
            f"{name}-weights-container",
            container_name=WEIGHTS_CONTAINER,
            account_name=storage.name,
            resource_group_name=rg,
            public_access=azure_native.storage.PublicAccess.NONE,
            opts=child,
        )
        registry = azure_native.containerregistry.Registry(
            f"{name}-registry",
            registry_name=args.registry_name,
            resource_group_name=rg,
            location=args.location,
            sku=azure_native.containerregistry.SkuArgs(name=REGISTRY_SKU),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access="Disabled",
            network_rule_bypass_options="None",
            zone_redundancy="Enabled",
            tags=tags,
            opts=stateful,
        )
        principal = identity.principal_id
        role_assignments(
            f"{name}-weights",
            container.id,
            [RoleAssignment(key="blob-reader", role="Storage Blob Data Reader", principal_id=principal)],
            self,
        )
        role_assignments(
            f"{name}-registry",
            registry.id,
            [RoleAssignment(key="acr-pull", role="AcrPull", principal_id=principal)],
            self,
        )
        private_endpoint(
            f"{name}-weights",
            target_id=storage.id,
            group_id="blob",
            endpoint=args.storage_endpoint,
            resource_group_name=rg,
            location=args.location,
            tags=tags,
            parent=self,
        )
        private_endpoint(
            f"{name}-registry",
            target_id=registry.id,
            group_id="registry",
            endpoint=args.registry_endpoint,
            resource_group_name=rg,
            location=args.location,
            tags=tags,
            parent=self,
        )

        balancer_name = f"lbi-{route.endpoint}"
        subscription = subscription_id(pulumi.InvokeOptions(parent=self))

        def lb_child(kind: str, child_name: str) -> pulumi.Output[str]:
            return _child_id(subscription, rg, balancer_name, kind, child_name)

        balancer = azure_native.network.LoadBalancer(
            f"{name}-lb",
            load_balancer_name=balancer_name,
            resource_group_name=rg,
            location=args.location,
            sku=azure_native.network.LoadBalancerSkuArgs(name="Standard", tier="Regional"),
            frontend_ip_configurations=[
                azure_native.network.FrontendIPConfigurationArgs(
                    name="private",
                    subnet=azure_native.network.SubnetArgs(id=args.workloads_subnet_id),
                    private_ip_allocation_method="Static",
                    private_ip_address=args.frontend_ip,
                )
            ],
            backend_address_pools=[azure_native.network.BackendAddressPoolArgs(name="vllm")],
            probes=[
                azure_native.network.ProbeArgs(
                    name="health",
                    protocol="Http",
                    port=args.port,
                    request_path=args.health_path,
                    interval_in_seconds=15,
                    number_of_probes=2,
                )
            ],
            load_balancing_rules=[
                azure_native.network.LoadBalancingRuleArgs(
                    name="openai-api",
                    protocol="Tcp",
                    frontend_port=LISTENER_PORT,
                    backend_port=args.port,
                    frontend_ip_configuration=azure_native.network.SubResourceArgs(
                        id=lb_child("frontendIPConfigurations", "private")
                    ),
                    backend_address_pool=azure_native.network.SubResourceArgs(
                        id=lb_child("backendAddressPools", "vllm")
                    ),
                    probe=azure_native.network.SubResourceArgs(id=lb_child("probes", "health")),
                    idle_timeout_in_minutes=30,  # long generations stream for minutes
                    disable_outbound_snat=True,  # the load balancer gives the fleet no way out
                )
            ],
            tags=tags,
            opts=child,
        )

        registry_server = f"{args.registry_name.lower()}.azurecr.io"
        host = azure_host(
            route,
            account=args.storage_account_name,
            container=WEIGHTS_CONTAINER,
            registry=registry_server,
            repository=args.image_repository,
            digest=args.image_digest,
            port=args.port,
        )
        self.custom_data = cloud_init(route, host)
        publisher, offer, sku, version = args.host_image
        scale_set = azure_native.compute.VirtualMachineScaleSet(
            f"{name}-vmss",
            vm_scale_set_name=f"vmss-{route.endpoint}",
            resource_group_name=rg,
            location=args.location,
            zones=[route.zone],  # the reservation's zone
            sku=azure_native.compute.SkuArgs(name=route.instance_type, tier="Standard", capacity=route.replicas),
            orchestration_mode="Uniform",
            single_placement_group=False,  # required to consume a capacity reservation
            overprovision=False,  # extra VMs would not fit in the reservation
            upgrade_policy=azure_native.compute.UpgradePolicyArgs(mode="Manual"),
            identity=azure_native.compute.VirtualMachineScaleSetIdentityArgs(
                type="UserAssigned", user_assigned_identities=[identity.id]
            ),
            virtual_machine_profile=azure_native.compute.VirtualMachineScaleSetVMProfileArgs(
                capacity_reservation=azure_native.compute.CapacityReservationProfileArgs(
                    capacity_reservation_group=azure_native.compute.SubResourceArgs(
                        id=args.capacity_reservation_group_id
                    )
                ),
                storage_profile=azure_native.compute.VirtualMachineScaleSetStorageProfileArgs(
                    image_reference=azure_native.compute.ImageReferenceArgs(
                        publisher=publisher, offer=offer, sku=sku, version=version
                    ),
                    os_disk=azure_native.compute.VirtualMachineScaleSetOSDiskArgs(
                        create_option="FromImage",
                        caching="ReadWrite",
                        disk_size_gb=args.os_disk_gb,
                        managed_disk=azure_native.compute.VirtualMachineScaleSetManagedDiskParametersArgs(
                            storage_account_type="Premium_LRS"
                        ),
                    ),
                ),
                os_profile=azure_native.compute.VirtualMachineScaleSetOSProfileArgs(
                    computer_name_prefix="vllm",
                    admin_username=ADMIN_USER,
                    custom_data=base64.b64encode(self.custom_data.encode()).decode(),
                    linux_configuration=azure_native.compute.LinuxConfigurationArgs(
                        disable_password_authentication=True,
                        ssh=azure_native.compute.SshConfigurationArgs(
                            public_keys=[
                                azure_native.compute.SshPublicKeyArgs(
                                    path=f"/home/{ADMIN_USER}/.ssh/authorized_keys",
                                    key_data=unheld_ssh_key(f"{args.registry_name}/{route.endpoint}"),
                                )
                            ]
                        ),
                    ),
                ),
                network_profile=azure_native.compute.VirtualMachineScaleSetNetworkProfileArgs(
                    # Through the load balancer's ID, so the scale set depends on it (and rules can follow it).
                    health_probe=azure_native.compute.ApiEntityReferenceArgs(id=balancer.id.apply(_probe)),
                    network_interface_configurations=[
                        azure_native.compute.VirtualMachineScaleSetNetworkConfigurationArgs(
                            name="nic",
                            primary=True,
                            enable_accelerated_networking=True,
                            ip_configurations=[
                                azure_native.compute.VirtualMachineScaleSetIPConfigurationArgs(
                                    name="ipv4",
                                    primary=True,
                                    subnet=azure_native.compute.ApiEntityReferenceArgs(id=args.workloads_subnet_id),
                                    load_balancer_backend_address_pools=[
                                        azure_native.compute.SubResourceArgs(id=balancer.id.apply(_pool))
                                    ],
                                    # no public_ip_address_configuration: the VMs have no public IP
                                )
                            ],
                        )
                    ],
                ),
                diagnostics_profile=azure_native.compute.DiagnosticsProfileArgs(
                    boot_diagnostics=azure_native.compute.BootDiagnosticsArgs(enabled=True)  # managed storage
                ),
                extension_profile=azure_native.compute.VirtualMachineScaleSetExtensionProfileArgs(
                    extensions=[
                        azure_native.compute.VirtualMachineScaleSetExtensionArgs(
                            name="AzureMonitorLinuxAgent",
                            publisher=MONITOR_AGENT[0],
                            type=MONITOR_AGENT[1],
                            type_handler_version=MONITOR_AGENT[2],
                            auto_upgrade_minor_version=True,
                            enable_automatic_upgrade=True,
                            settings=identity.id.apply(
                                lambda ident: {
                                    "authentication": {
                                        "managedIdentity": {"identifier-name": "mi_res_id", "identifier-value": ident}
                                    }
                                }
                            ),
                        )
                    ]
                ),
            ),
            tags=tags,
            opts=child,
        )
        rule = azure_native.monitor.DataCollectionRule(
            f"{name}-logs",
            data_collection_rule_name=f"dcr-{route.endpoint}-serving",
            resource_group_name=rg,
            location=args.location,
            kind="Linux",
            data_sources=azure_native.monitor.DataCollectionRuleDataSourcesArgs(
                syslog=[
                    azure_native.monitor.SyslogDataSourceArgs(
                        name="vllm",
                        streams=["Microsoft-Syslog"],
                        facility_names=[SYSLOG_FACILITY],
                        log_levels=["*"],
                    )
                ]
            ),
            destinations=azure_native.monitor.DataCollectionRuleDestinationsArgs(
                log_analytics=[
                    azure_native.monitor.LogAnalyticsDestinationArgs(
                        name="workspace", workspace_resource_id=args.workspace_id
                    )
                ]
            ),
            data_flows=[azure_native.monitor.DataFlowArgs(streams=["Microsoft-Syslog"], destinations=["workspace"])],
            tags=tags,
            opts=child,
        )
        azure_native.monitor.DataCollectionRuleAssociation(
            f"{name}-logs-association",
            association_name=f"{route.endpoint}-serving",
            resource_uri=scale_set.id,
            data_collection_rule_id=rule.id,
            opts=child,
        )

        self.base_url = f"http://{args.frontend_ip}/v1"
        self.storage_account_id = storage.id
        self.registry_login_server = registry_server
        self.image_repository = args.image_repository
        self.weights_url = f"https://{args.storage_account_name}.blob.core.windows.net/{WEIGHTS_CONTAINER}"
        self.scale_set_id = scale_set.id
        self.register_outputs(
            {
                "base_url": self.base_url,
                "storage_account_id": self.storage_account_id,
                "registry_login_server": self.registry_login_server,
                "scale_set_id": self.scale_set_id,
            }
        )


def _probe(balancer_id: str) -> str:
    return f"{balancer_id}/probes/health"


def _pool(balancer_id: str) -> str:
    return f"{balancer_id}/backendAddressPools/vllm"


def _child_id(
    subscription: pulumi.Output[str], rg: StrInput, balancer: str, kind: str, child_name: str
) -> pulumi.Output[str]:
    """The ID of a load balancer's own sub-resource, which ARM needs before the load balancer exists."""
    return pulumi.Output.concat(
        "/subscriptions/",
        subscription,
        "/resourceGroups/",
        rg,
        f"/providers/Microsoft.Network/loadBalancers/{balancer}/{kind}/{child_name}",
    )
