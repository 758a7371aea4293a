"""Safety broadcasts: content, schedules and fan-out to the groups of chosen areas."""
