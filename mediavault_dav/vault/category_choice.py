"""How an upload's category is chosen: the longest matching content-type prefix.

A separate module because the folder tree (tree.store_file) uses it while
recording content, and the tree must not depend on the virtual-folder modules.
"""

# The category of the content type bound as :mime (NULL when no category claims it).
CATEGORY_FOR_MIME_SQL = """(
    SELECT c.id FROM categories c, unnest(c.mime_prefixes) AS prefix
    WHERE starts_with(CAST(:mime AS varchar), prefix)
    ORDER BY length(prefix) DESC, c.id LIMIT 1
)"""
