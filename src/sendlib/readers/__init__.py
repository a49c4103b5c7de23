"""One small reader per raw format. Each returns a tidy DataFrame in the project's vocabulary
(``la_code``, ``ons_code``, ``la_name``, ``fy``, ``fy_start``, value columns suffixed
``_gbp``/``_count``/``_pct``) keyed by the identifier the source itself carries; attaching
DfE codes and harmonised units happens once, in :mod:`sendlib.geography`.
"""
