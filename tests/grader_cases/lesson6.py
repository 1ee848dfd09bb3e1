"""Lesson 6 (training): the original project's ReLU bug and a classic Adam mistake."""
from grader_cases import mutate

BUGGY = [
    ("l6_relu", "ReLU backward that mutates its input (the original project's bug)",
     mutate(("        return dout * self.positive",
             "        dout[~self.positive] = 0\n        return dout"))),
    ("l6_adam_step", "Adam without bias correction",
     mutate(("m_hat = m / (1 - beta1 ** t)", "m_hat = m"), ("v_hat = v / (1 - beta2 ** t)", "v_hat = v"))),
]

CORRECT = [
    ("l6_relu", "ReLU keeping the mask of non-positive inputs, np.where", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)
'''),
]
