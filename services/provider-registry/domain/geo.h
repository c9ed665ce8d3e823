#pragma once
#include "services/provider-registry/domain/registry_types.h"

namespace rusta::registry {

// Great-circle distance in metres (haversine, mean Earth radius 6,371,008.8 m).
double DistanceMeters(const GeoPoint& a, const GeoPoint& b);

// Whether a point lies within Sweden's bounding box (55.0–69.1 °N, 10.9–24.2 °E): a check that
// catches swapped or mistyped coordinates, not a border test.
bool InSweden(const GeoPoint& p);

}  // namespace rusta::registry
