"""Shading of ray-cast hits: surface attributes, textures, Lambert + Blinn lighting, shadows, sky, fog.

Work is done in 'hit order' (pixels grouped by primitive, so each primitive's surface function runs
once on all its pixels) and in linear radiance with a gamma-2 approximation of sRGB (squares and
square roots: cheap, and close enough for training images). Texture lookups are batched per
texture across primitives.
"""
from collections import defaultdict

import numpy as np

from .raycast import shadowed
from .textures import bank

F32 = np.float32


def _rows(R, vec):
    """R @ vec for a 3x3 matrix and a 3-tuple of arrays (or scalars), as a tuple of arrays."""
    R = R.astype(np.float32)
    return tuple(R[i, 0] * vec[0] + R[i, 1] * vec[1] + R[i, 2] * vec[2] for i in range(3))


def surfaces(prims, t, ids, origin, R_wc, xs, ys, focal):
    """Per hit pixel (in hit order): flat pixel index, primitive index, world point, unit normal
    facing the camera, unit view direction, linear albedo, emission and specular strength."""
    W = t.shape[1]
    flat = ids.ravel()
    hit = np.nonzero(flat >= 0)[0]
    order = hit[np.argsort(flat[hit], kind="stable")]
    counts = np.bincount(flat[order], minlength=len(prims))
    n = len(order)
    P, Nrm, V = (np.empty((3, n), F32) for _ in range(3))
    albedo = np.empty((n, 3), F32)
    emission, specular, shininess = (np.zeros(n, F32) for _ in range(3))
    jobs = defaultdict(list)
    tk_all = t.ravel()[order]
    dc = (np.asarray(xs, F32)[order % W], np.asarray(ys, F32)[order // W], F32(1.0))
    start = 0
    for k, prim in enumerate(prims):
        c = int(counts[k])
        if c == 0:
            continue
        sl = slice(start, start + c)
        start += c
        tk = tk_all[sl]
        d_c = (dc[0][sl], dc[1][sl], dc[2])
        M = prim.R.T @ R_wc
        o_l = (prim.R.T @ (origin - prim.center)).astype(np.float32)
        d_l = _rows(M, d_c)
        normal, u, v = prim.surface(tuple(o_l[i] + tk * d_l[i] for i in range(3)))
        d_w = _rows(R_wc, d_c)
        inv_len = F32(1.0) / np.sqrt(d_w[0] ** 2 + d_w[1] ** 2 + d_w[2] ** 2)
        n_w = _rows(prim.R, normal)
        cos = (n_w[0] * d_w[0] + n_w[1] * d_w[1] + n_w[2] * d_w[2]) * inv_len
        flip = np.where(cos > 0, F32(-1), F32(1))        # two-sided: normals face the viewer
        for i in range(3):
            Nrm[i, sl] = n_w[i] * flip
            V[i, sl] = -d_w[i] * inv_len
            P[i, sl] = F32(origin[i]) + tk * d_w[i]
        m = prim.material
        su, sv = m.scale
        # pixel footprint on the surface (m): between its short (z/f) and long (z/(f cos)) axes
        foot = tk / F32(focal) / np.sqrt(np.maximum(np.abs(cos), F32(0.02))) / F32(0.5 * (su + sv))
        jobs[m.texture].append((sl, u / F32(su) + F32(m.offset[0]), v / F32(sv) + F32(m.offset[1]),
                                foot, m.tint))
        emission[sl], specular[sl], shininess[sl] = m.emission, m.specular, m.shininess
    textures = bank()
    for name, parts in jobs.items():
        index = np.concatenate([np.arange(p[0].start, p[0].stop) for p in parts])
        sample = textures[name].sample(*(np.concatenate([p[i] for p in parts]) for i in (1, 2, 3)))
        tint = np.repeat(np.asarray([p[4] for p in parts], F32), [p[0].stop - p[0].start for p in parts], axis=0)
        albedo[index] = np.clip(sample * tint, 0.0, 1.0)
    albedo *= albedo                                  # sRGB-ish -> linear (gamma 2)
    prim_of = np.repeat(np.arange(len(prims)), counts)
    return dict(index=order, prim=prim_of, P=P, N=Nrm, V=V, albedo=albedo, emission=emission,
                specular=specular, shininess=shininess)


def light(scene, s):
    """Linear radiance (n, 3) of the surfaces from `surfaces`."""
    P, N, V, albedo = s["P"], s["N"], s["V"], s["albedo"]
    amb = np.asarray(scene.ambient, F32)
    diffuse = (F32(0.65) + F32(0.35) * N[2])[:, None] * amb       # brighter from above (sky, ceiling)
    spec = np.zeros_like(albedo)
    for lt in scene.lights:
        if lt.kind == "sun":
            L = tuple(F32(x) for x in lt.direction)
            atten = F32(1.0)
        else:
            L = [F32(lt.position[i]) - P[i] for i in range(3)]
            dist = np.sqrt(L[0] ** 2 + L[1] ** 2 + L[2] ** 2) + F32(1e-6)
            L = [x / dist for x in L]
            atten = F32(1.0) / (F32(1.0) + (dist / F32(lt.falloff)) ** 2)
        ndl = N[0] * L[0] + N[1] * L[1] + N[2] * L[2]
        lit = np.nonzero(ndl > 0)[0]
        if lit.size == 0:
            continue
        vis = np.ones(lit.size, F32)
        if lt.shadows:
            pts = tuple(P[i][lit] for i in range(3))
            vis[shadowed(scene.prims, pts, s["prim"][lit], lt, scene.corners())] = 0.0
        aw = (atten if np.ndim(atten) == 0 else atten[lit]) * vis
        col = np.asarray(lt.colour, F32)
        diffuse[lit] += (ndl[lit] * aw)[:, None] * col
        ks = s["specular"][lit]
        shiny = np.nonzero(ks > 0)[0]
        if shiny.size:                                   # Blinn highlight: paint, glass, tiles
            li = lit[shiny]
            h = [(L[i] if np.ndim(L[i]) == 0 else L[i][li]) + V[i][li] for i in range(3)]
            hn = np.sqrt(h[0] ** 2 + h[1] ** 2 + h[2] ** 2) + F32(1e-6)
            ndh = np.maximum((N[0][li] * h[0] + N[1][li] * h[1] + N[2][li] * h[2]) / hn, F32(0))
            spec[li] += (ks[shiny] * ndh ** s["shininess"][li] * aw[shiny])[:, None] * col * F32(0.25)
    return albedo * diffuse + spec + albedo * s["emission"][:, None]


def sky(scene, dirs, focal):
    """Linear radiance (n, 3) of the sky along world directions (3 arrays, any length); clouds lie
    on a plane 1 km up, filtered by the pixel's footprint there (1 / focal rad) so they do not alias."""
    sk = scene.sky
    inv = F32(1.0) / np.sqrt(dirs[0] ** 2 + dirs[1] ** 2 + dirs[2] ** 2)
    d = [x * inv for x in dirs]
    e = np.clip(d[2], 0, 1)
    mix = np.sqrt(e)[:, None]
    col = np.asarray(sk.horizon, F32) * (1 - mix) + np.asarray(sk.zenith, F32) * mix
    if sk.sun is not None:
        cs = np.maximum(d[0] * F32(sk.sun[0]) + d[1] * F32(sk.sun[1]) + d[2] * F32(sk.sun[2]), F32(0))
        col += (F32(6.0) * cs ** 400 + F32(0.25) * cs ** 6)[:, None] * F32(1.0)
    if sk.clouds > 0:
        up = np.nonzero(d[2] > 0.01)[0]
        if up.size:
            k = F32(1000.0 / sk.cloud_scale) / d[2][up]
            cl = bank()["clouds"].sample(d[0][up] * k, d[1][up] * k, k / d[2][up] / F32(focal))[:, 0]
            cover = np.clip(cl * F32(1.0 + 2 * sk.clouds) - F32(0.2 * (1 - sk.clouds)), 0, 1)
            cover *= np.clip(d[2][up] * 8, 0, 1)                    # thin out at the horizon
            white = np.float32(0.9) * (np.asarray(sk.horizon, F32) + np.asarray(sk.zenith, F32))
            col[up] = col[up] * (1 - cover[:, None]) + white * cover[:, None]
    return col


def fog(scene, radiance, distance):
    """Blend towards the fog colour with exp(-distance / fog): aerial perspective outdoors."""
    if scene.fog <= 0:
        return radiance
    keep = np.exp(-distance / F32(scene.fog))[:, None]
    return radiance * keep + np.asarray(scene.fog_colour, F32) * (1 - keep)
