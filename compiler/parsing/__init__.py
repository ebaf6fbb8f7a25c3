"""The parts of the parser; compiler/parser.py is its public face (`parse`).

One job per module, each readable top to bottom:

- grammar.py: the grammar, loaded and analysed once per process.
- driver.py: a file's tokens, then its templates', fed to the LALR parser.
- lalr.py: one LALR parse in progress, over Lark's interactive parser; the
  one module that works on Lark's internals, and why.
- recovery.py: where the parse goes on after a syntax error (panic mode,
  misspelt keywords read as the keyword).
- errors.py: what the parser expected where it stopped, reported.
- messages.py: the wording of every syntax error.
- reductions.py: which children each rule's builder method is called with.
- builder.py: the AST, one method per grammar rule, built during the parse.
- strings.py: string escapes, and `{{ templates }}` parsed in place.
- nesting.py: the nesting limit of expressions and types.
- context.py: the file being parsed, its positions and its diagnostics.
"""
