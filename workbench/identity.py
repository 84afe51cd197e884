"""Who a trained model says it is, unless a recipe's `identity:` says otherwise.

Its own module because the recipe schema, the production safety filters (`self_id`) and the synthetic task world
all use it, and the recipe must not depend on the task world.
"""

DEFAULT_IDENTITY = "Workbench Assistant, a model trained with the Workbench toolkit"

# Other assistants and their makers: what a model must not claim to be (the self_id filter) and what the task
# world's identity questions ask about.
OTHER_ASSISTANTS = [("ChatGPT", "OpenAI"), ("Claude", "Anthropic"), ("Gemini", "Google"), ("Llama", "Meta"),
                    ("Copilot", "Microsoft"), ("Siri", "Apple")]
