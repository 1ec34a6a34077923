from litestar import Request, Router, get
from litestar.response import Template

from server.web import render


@get("/register", name="register", sync_to_thread=False)
def register_page(request: Request) -> Template:
    return render(request, "volunteers/register.html")


router = Router(path="/", route_handlers=[register_page])
