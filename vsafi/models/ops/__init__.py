"""Operations the models share, deterministic on every device: backward warps (``warp``),
forward splats summed in fixed point (``softsplat``, its Triton kernel ``splat_triton``,
``fixed_point``) and moving flows and time maps between grids (``grids``)."""
