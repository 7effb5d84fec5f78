"""The pieces of the synthetic school generator; :mod:`benchmarks.synth` is its entry and public API.

- :mod:`~benchmarks.synthetic.names`: the made-up names and fixed lists;
- :mod:`~benchmarks.synthetic.people`: the situations to plant (:class:`Shares`), classes and pupils;
- :mod:`~benchmarks.synthetic.onde`: the ONDE 2 export file;
- :mod:`~benchmarks.synthetic.sacoche`: the SACoche state (SQLite) with the situations planted.
"""
