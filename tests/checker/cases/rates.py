def rate(seats: float) -> float:
    return 12.0 * seats
