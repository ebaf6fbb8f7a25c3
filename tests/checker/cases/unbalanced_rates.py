def rate(seats: float) -> float:
    return (seats
