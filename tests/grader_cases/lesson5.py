"""Lesson 5 (focal loss): the original project's missing 1/N must lose points."""
from grader_cases import mutate

BUGGY = [
    ("l5_focal_backward", "focal-loss backward without 1/N (the original project's bug)",
     mutate(("return s * dz * (dout / n)", "return s * dz * dout"))),
]

CORRECT = []
