"""The entry point `pulumi package add` runs (PulumiPlugin.yaml): crosscloud's component provider."""

from crosscloud.platform.provider import main

if __name__ == "__main__":
    main()
