"""Evidence for reviewers and auditors, from one stack declaration: what it commits to and costs (`cost`), how a
workload would leave a cloud (`exit_plan`), a picture of the stack (`graph`), and the price refresh (`refresh`)."""
