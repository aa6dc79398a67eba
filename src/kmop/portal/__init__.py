"""The providers' portal ("Dienstverlener kmo-portefeuille", seed 004): login with the organisation's own
login and password or through the Gebruikersbeheer, the menu, registrations, departments, establishments, the
project overview, and the public "Zoek een dienstverlener". Decision 0017."""
