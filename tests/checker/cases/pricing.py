"""The Python module of the python-declaration cases (E0105, E0115, E0116, E0530, E0531)."""


def quote(seats: float) -> float:
    return 12.0 * seats
