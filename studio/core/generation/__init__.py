"""Generation: free and strict sampling, the one draw, cadences, phrase repeats, primers, regenerating bars, best of N."""
