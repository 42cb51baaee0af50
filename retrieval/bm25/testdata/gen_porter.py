#!/usr/bin/python3
"""Generate porter.tsv.gz, the golden file for the Porter stemmer tests.

Run from this directory with Debian's Python (nltk and PyStemmer are Debian
packages that only /usr/bin/python3 loads):

    /usr/bin/python3 gen_porter.py

Words: every distinct lower-case run of ASCII letters in the titles and texts
of the embedded SciFact and Cranfield corpora, plus the examples of Porter's
1980 paper and other hard cases listed below.

Three independent references stem each word:

  lucene    nltk PorterStemmer(mode=MARTIN_EXTENSIONS): the algorithm as
            Martin Porter's own C/Java releases implement it, which is what
            Lucene's PorterStemmer (derived from the Java release) does. It
            departs from the paper in three ways: -bli -> -ble (the paper has
            -abli -> -able), -logi -> -log (absent in the paper), and words of
            one or two letters are not stemmed.
  paper     nltk PorterStemmer(mode=ORIGINAL_ALGORITHM): the 1980 paper.
  snowball  PyStemmer Stemmer('porter'): Snowball's Porter stemmer.

Each line of the output is tab-separated:

    word <TAB> lucene [<TAB> paper <TAB> snowball]

where the last two columns are present only when one of them differs from
the lucene column. The script prints a summary of the disagreements, which
README.md records.
"""

import collections
import gzip
import json
import os
import re

import Stemmer
from nltk.stem.porter import PorterStemmer

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "datasets")

# Porter (1980) examples, the tartarus departures, short words and other
# corner cases of the measure, *o, *d and y rules.
EXTRA = """
caresses ponies ties caress cats feed agreed plastered bled motoring sing
conflated troubled sized hopping tanned falling hissing fizzed failing filing
happy sky relational conditional rational valenci hesitanci digitizer
conformabli radicalli differentli vileli analogousli vietnamization
predication operator feudalism decisiveness hopefulness callousness formaliti
sensitiviti sensibiliti triplicate formative formalize electriciti electrical
hopeful goodness revival allowance inference airliner gyroscopic adjustable
defensible irritant replacement adjustment dependent adoption homologou
communism activate angulariti homologous effective bowdlerize probate rate
cease controll roll generalizations oscillators
abli bli ably sensibly probably favourably capably analogi analogy
biology biologies geology apology archaeologi logi
a i s y as is us ay by ye ox ss sss yyy yy syzygy toy toys say says spying
ion aion tion sion eed aed oed ied ies sses ing ed ings eds
meeting meetings matting mating milling messing agreement element cement
embedded feeds need needed bleed skies dying lying tying flying crying
traditional additional national sensational rationalization organization
hopelessness usefulness lawfulness callously generously ceaseless
probabilities possibilities responsibilities capabilities stabilities
fly flies flying flyer gas gases news bus buses abyss abysses
""".split()


def corpus_words():
    words = set()
    for name in ("scifact", "cranfield"):
        path = os.path.join(DATA, name, "corpus.jsonl.gz")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                text = doc["title"] + " " + doc["text"]
                for w in re.findall(r"[A-Za-z]+", text):
                    words.add(w.lower())
    return words


def main():
    words = sorted(corpus_words() | set(EXTRA))
    lucene = PorterStemmer(mode=PorterStemmer.MARTIN_EXTENSIONS)
    paper = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)
    snowball = Stemmer.Stemmer("porter")

    lines = []
    diff = collections.Counter()
    examples = collections.defaultdict(list)
    for w in words:
        lu = lucene.stem(w, to_lowercase=False)
        pa = paper.stem(w, to_lowercase=False)
        sn = snowball.stemWord(w)
        if pa == lu and sn == lu:
            lines.append(f"{w}\t{lu}")
            continue
        lines.append(f"{w}\t{lu}\t{pa}\t{sn}")
        key = ("lucene" + ("=" if pa == lu else "!=") + "paper",
               "lucene" + ("=" if sn == lu else "!=") + "snowball",
               "paper" + ("=" if sn == pa else "!=") + "snowball")
        diff[key] += 1
        if len(examples[key]) < 12:
            examples[key].append(f"{w}:{lu}/{pa}/{sn}")

    data = ("\n".join(lines) + "\n").encode("utf-8")
    out = os.path.join(HERE, "porter.tsv.gz")
    with open(out, "wb") as f:
        # mtime=0 keeps the output byte-identical across runs.
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{len(words)} words, {os.path.getsize(out)} bytes in {out}")
    for key, n in sorted(diff.items()):
        print(n, " ".join(key), "e.g. word:lucene/paper/snowball", " ".join(examples[key]))


if __name__ == "__main__":
    main()
