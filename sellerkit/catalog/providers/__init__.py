"""Live product data from outside services (Amazon SP-API, Keepa), behind one interface.

Every surface (scans, the look-up, tracking, commerce) reaches live data only through
`LiveData` (service.py): it decides what the catalog lacks or holds stale, asks the connected
providers in the order that costs a seller's quota least, and writes every answer into the
catalog (catalog-format records with their provenance) and its history.
"""
