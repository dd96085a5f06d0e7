"""Flatten and rebuild nested containers of tensors (tuples, lists, dicts, namedtuples).

The functional transforms accept and return such "pytrees": they work on the flat list of
leaves and rebuild the caller's structure around the results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class TreeSpec(NamedTuple):
    """The shape of a pytree: the container kind, its keys (dicts) and the children's specs.
    A leaf has kind None."""

    kind: Any
    keys: tuple
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.kind is None:
            return 1
        return sum(child.num_leaves for child in self.children)


LEAF = TreeSpec(None, (), ())


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """(leaves in order, spec); anything that is not a tuple, list or dict is a leaf."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> TreeSpec:
    if isinstance(tree, dict):
        keys = tuple(tree)
        return TreeSpec(type(tree), keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if isinstance(tree, (tuple, list)):
        return TreeSpec(type(tree), (), tuple(_flatten(v, leaves) for v in tree))
    leaves.append(tree)
    return LEAF


def tree_unflatten(leaves: list, spec: TreeSpec) -> Any:
    """The inverse of tree_flatten: ``spec``'s structure with ``leaves`` in its places."""
    iterator = iter(leaves)
    result = _unflatten(iterator, spec)
    if next(iterator, _END) is not _END:
        raise ValueError("tree_unflatten: more leaves than the structure has places for")
    return result


_END = object()


def _unflatten(leaves: Any, spec: TreeSpec) -> Any:
    if spec.kind is None:
        leaf = next(leaves, _END)
        if leaf is _END:
            raise ValueError("tree_unflatten: fewer leaves than the structure has places for")
        return leaf
    children = [_unflatten(leaves, child) for child in spec.children]
    if issubclass(spec.kind, dict):
        return spec.kind(zip(spec.keys, children))
    if issubclass(spec.kind, tuple) and hasattr(spec.kind, "_fields"):
        return spec.kind(*children)
    return spec.kind(children)


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with every leaf replaced by ``fn(leaf)``."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)
