"""What a map shows: a registry of layers, each with its data query, style, legend and popup."""
