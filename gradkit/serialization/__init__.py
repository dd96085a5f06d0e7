"""gradkit.save / gradkit.load: checkpoints that never unpickle.

A checkpoint is a safetensors file. Its tensors are stored under their path in the saved object
("fc.weight", "state.0.exp_avg", ...), so a saved state_dict is an ordinary safetensors file for
``safetensors.numpy.load_file``/``safetensors.torch.load_file``. The object's structure (dicts,
lists, tuples, numbers, strings, None, and where each tensor goes) is JSON in the file's
metadata under "gradkit.structure"; a file without it (e.g. written by
``safetensors.torch.save_file``) loads as a flat dict of tensors.

Structure nodes: JSON null/bool/int/str stand for themselves; every JSON object is tagged:
{"float": repr} (finite, nan, inf), {"tensor": name}, {"list": [...]}, {"tuple": [...]},
{"dict": {str: node}} for string-keyed dicts, {"items": [[key, value], ...]} otherwise.
"""

from .format import load, save

__all__ = ["load", "save"]
