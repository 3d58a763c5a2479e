/* See assets.h. */
#include "assets.h"

#include <string.h>

const mlv_asset *mlv_asset_find(const char *name, mlv_asset_kind kind)
{
    size_t lo = 0, hi = mlv_assets_count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2u;
        int c = strcmp(name, mlv_assets[mid].name);

        if (c == 0)
            return mlv_assets[mid].kind == kind ? &mlv_assets[mid] : NULL;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1u;
    }
    return NULL;
}
