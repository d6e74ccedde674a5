"""Words of a text for PostgreSQL's full-text search, Chinese included.

PostgreSQL's parser splits words at spaces and punctuation and its ``english``
dictionary stems them and drops stop words; Chinese has no spaces, so its runs of
characters are cut into words first by jieba, the maintained Chinese word
segmenter, and handed to PostgreSQL separated by spaces.
"""

import logging
import re

_logger = logging.getLogger(__name__)

CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(rf"[{CJK_CHARS}]+")
# Chinese keywords of a complaint looked up, the most telling first
MAX_CHINESE_KEYWORDS = 20
# a Chinese word this common in jieba's corpus (its inverse document frequency is
# lower; the median word's is about 12) says nothing of a problem: 我们, 一直, 没有
MIN_CHINESE_IDF = 5.0

_jieba = None


def _segmenter():
    """jieba, loaded once per process (its dictionary takes a second)."""
    global _jieba
    if _jieba is None:
        import jieba
        import jieba.analyse

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba


def document_words(text):
    """``text`` with each run of Chinese characters replaced by its words, for the
    search document of a solution: every word jieba finds, the shorter words of a
    long one too (洗碗机: 洗碗, 洗碗机), so that a complaint's words find it."""
    if not text or not CJK_RUN.search(text):
        return text or ""
    jieba = _segmenter()
    return CJK_RUN.sub(lambda run: f" {' '.join(jieba.cut_for_search(run.group()))} ", text)


def query_words(text):
    """``text`` with its Chinese replaced by its keywords (jieba's TF-IDF
    extraction: the words that say most about it) and the words within them, without
    the words too common to say anything, for the query of a complaint."""
    if not text:
        return ""
    runs = CJK_RUN.findall(text)
    other = CJK_RUN.sub(" ", text)
    if not runs:
        return other
    jieba = _segmenter()
    idf = jieba.analyse.default_tfidf.idf_freq
    median = jieba.analyse.default_tfidf.median_idf
    words = {}
    for keyword in jieba.analyse.extract_tags(" ".join(runs), topK=MAX_CHINESE_KEYWORDS):
        # the keyword and the shorter words in it (冰箱门: 冰箱), as the solutions have
        for word in (keyword, *jieba.cut_for_search(keyword)):
            if len(word) > 1 and idf.get(word, median) >= MIN_CHINESE_IDF:
                words.setdefault(word)
    return f"{other} {' '.join(words)}"

