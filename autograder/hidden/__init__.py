"""Hidden checks, one module per lesson: compare with the reference package on unseen inputs.
Never shipped to students."""
