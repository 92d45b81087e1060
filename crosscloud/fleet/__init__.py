"""`crosscloud fleet`: check many stacks at once, shard them across CI machines, and show a policy change's impact.

Most of a single `crosscloud preview` is importing the provider SDKs' typed classes and starting the packs, the same
work for every stack. A fleet run pays it once: a warm parent per kind of process (forkserver.py) has imported what
its children need and forks a fresh child per stack, and one per policy pack of that stack, so each stack still runs
in a process of its own with packs started fresh, as `pulumi preview` does, while the imports are already done.

Modules: inventory (which stacks), shard (who checks which), forkserver (the warm parents), packs (packs forked from
the warm pack parent), worker (one stack, in its forked child), runner (the parent's loop: workers, timeouts,
cancellation), report (one JSON, SARIF and Markdown report for the fleet; merge), diff (two versions of the packs),
command (the CLI).
"""
