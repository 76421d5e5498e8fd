"""ASC X12 005010X279A1 eligibility (270 inquiry out, 271 response in): a small reader and writer
of our own over a tokenizer. pyx12 4.0.0 has only 4010 maps and linuxforhealth-x12 needs
pydantic 1 (GUIDE section 12), and the two transactions use a handful of segments.

- `tokenizer`: delimiters from the ISA segment, segments with their position in the file.
- `envelope`: ISA/GS/ST..SE/GE/IEA written with counts and control numbers, and checked on read.
- `x270`: one inquiry per coverage (subscriber or dependent loop, TRN trace number).
- `x271`: the answers: active/inactive, plan, copay, deductible, coinsurance, out of pocket,
  network, authorisation required, AAA rejections.

Pure: no database, no files. Every error is an `X12Error` naming the segment number."""

from coordinator_tui.interop.x12.tokenizer import Delimiters, Segment, X12Error, tokenize

__all__ = ["Delimiters", "Segment", "X12Error", "tokenize"]
