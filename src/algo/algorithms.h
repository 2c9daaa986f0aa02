// The entries of the algorithm table (algo::Algorithms()), one function per algorithm, each
// defined in src/algo/algo_<name>.cc. To add an algorithm: write its model in src/models, its
// entry in a new algo_<name>.cc, and list it in Algorithms() (scorer.cc).
//
// Thread-safety: the returned entries are immutable; their functions are thread-safe.
#pragma once

#include "algo/scorer.h"

namespace reco::algo {

Algorithm PopularAlgorithm();  // algo_classic.cc
Algorithm ItemCfAlgorithm();   // algo_classic.cc
Algorithm Rp3betaAlgorithm();  // algo_classic.cc
Algorithm EaseAlgorithm();     // algo_classic.cc
Algorithm IalsAlgorithm();     // algo_classic.cc
Algorithm BlendAlgorithm();    // algo_blend.cc
Algorithm SwingAlgorithm();    // algo_swing.cc
Algorithm RankerAlgorithm();   // algo_ranker.cc (model in src/rank)
Algorithm GfcfAlgorithm();     // algo_gfcf.cc

}  // namespace reco::algo
