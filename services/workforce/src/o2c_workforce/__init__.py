"""The workforce service: the people and process of the BPO operation (vendor teams, agents, SOPs and training,
quality review, productivity and capacity, scorecards)."""
