"""``plain``: each output interpolates the two source frames around its time; holds stay holds."""
