"""Evidence from articles, read offline: quotes, numbers, dates and mentions per paragraph,
ranked suggestions for values that cite nothing, and checks of the citations a scenario has.

Optional (the ``[nlp]`` extra): spaCy's blank English pipeline with rule components, dateparser,
number-parser, rapidfuzz, rank-bm25, snowballstemmer and trafilatura. Nothing downloads at run
time. Modules: :mod:`~detente.evidence.read` (files to numbered paragraphs),
:mod:`~detente.evidence.extract` (the per-paragraph items), :mod:`~detente.evidence.link`
(``suggest``), :mod:`~detente.evidence.check` (``check``), :mod:`~detente.evidence.view` (a cited
paragraph with its numbers marked) and :mod:`~detente.evidence.score` (precision and recall
against gold annotations). Importing this package loads none of the NLP libraries.
"""
