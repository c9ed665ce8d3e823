// Distances and the coordinate sanity check (see geo.h).
#include "services/provider-registry/domain/geo.h"

#include <algorithm>
#include <cmath>

namespace rusta::registry {

namespace {

constexpr double kEarthRadiusMeters = 6371008.8;
constexpr double kPi = 3.14159265358979323846;

double Radians(double degrees) { return degrees * kPi / 180.0; }

}  // namespace

double DistanceMeters(const GeoPoint& a, const GeoPoint& b) {
  const double lat1 = Radians(a.latitude);
  const double lat2 = Radians(b.latitude);
  const double sin_dlat = std::sin((lat2 - lat1) / 2);
  const double sin_dlon = std::sin(Radians(b.longitude - a.longitude) / 2);
  double h = sin_dlat * sin_dlat + std::cos(lat1) * std::cos(lat2) * sin_dlon * sin_dlon;
  h = std::clamp(h, 0.0, 1.0);  // rounding can push it just outside [0, 1]
  return 2 * kEarthRadiusMeters * std::asin(std::sqrt(h));
}

bool InSweden(const GeoPoint& p) {
  // Written so that NaN coordinates fail every comparison and are rejected.
  return p.latitude >= 55.0 && p.latitude <= 69.1 && p.longitude >= 10.9 && p.longitude <= 24.2;
}

}  // namespace rusta::registry
