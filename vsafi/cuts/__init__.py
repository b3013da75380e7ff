"""Scene cuts: measures of a pair's change, the contrast test and the cut sources (docs/cuts.md).

Torch on small thumbnails; no VapourSynth, no model.
"""

from .contrast import (CONTEXT, CUT_REACH, DEFAULT_HARD, DEFAULT_RATIO, MIN_CUT_DIFFERENCE, NEW_ACROSS, NEW_FLOOR,
                       NEW_HARD, RETURN_SPAN, ContrastCuts, CutDetector, CutScore)
from .measures import (FLAT_STD, MATCH_BLOCK, NEW_BLOCK_ERROR, SEARCH, WIDE_SIZE, Change, CutThumbs, change_reader,
                       cut_thumbs, new_content, pair_change, pair_difference, ssim_batch, ssim_small, thumbnail,
                       wide_thumbnail)
from .sources import CutSource, ListCuts, PropCuts, combine, cut_test

__all__ = ["CONTEXT", "CUT_REACH", "DEFAULT_HARD", "DEFAULT_RATIO", "MIN_CUT_DIFFERENCE", "NEW_ACROSS", "NEW_FLOOR",
           "NEW_HARD", "RETURN_SPAN", "ContrastCuts", "CutDetector", "CutScore", "FLAT_STD", "MATCH_BLOCK",
           "NEW_BLOCK_ERROR", "SEARCH", "WIDE_SIZE", "Change", "CutThumbs", "change_reader", "cut_thumbs",
           "new_content", "pair_change", "pair_difference", "ssim_batch", "ssim_small", "thumbnail", "wide_thumbnail",
           "CutSource", "ListCuts", "PropCuts", "combine", "cut_test"]
