"""The crosscloud program: one declaration (Pulumi.<stack>.yaml) -> both clouds, through `CrossCloudPlatform`.

Runs unchanged under `pulumi up` and under crosscloud's offline engine (`crosscloud preview`). The stack outputs are
the platform's: the endpoint contract applications use (`endpoints`, `workloads`) and each cloud's IDs.
"""

import pulumi

from crosscloud.platform import CrossCloudPlatform, declaration_args

platform = CrossCloudPlatform("crosscloud", declaration_args())
for key, value in platform.exports().items():
    pulumi.export(key, value)
