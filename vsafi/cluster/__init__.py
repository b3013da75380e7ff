"""Scale-out: a whole input cut into chunks of output frames, each rendered by a Ray task to a
segment, the segments joined without re-encoding. Resumable from a work folder beside the
output; bit-exact because any output frame is the same however it is reached (docs/cluster.md).

Only :mod:`.ray_pool` imports Ray, and only when a job asks for workers.
"""
