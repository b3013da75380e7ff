"""GMFSS Fortuna, base and union: GMFlow (``gmflow``), the splatting and fusion networks
(``network``) and their Backend (``backend``)."""
