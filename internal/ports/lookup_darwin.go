package ports

func osLookup() lookupFunc { return lsofLookup(execRun) }
